import { registry } from "@web/core/registry";

// Seed 000's path: Contacts list → gear menu → Synchronize → the user's account → Sync now.
registry.category("web_tour.tours").add("crm_sync_base_synchronize_menu_tour", {
    url: "/odoo/contacts?view_type=list",
    steps: () => [
        { trigger: ".o_list_view" },
        { trigger: ".o_control_panel .o_cp_action_menus button", run: "click" },
        { trigger: ".o-dropdown-item.o_crm_sync_menu", run: "click" },
        { trigger: ".modal .o_data_row:contains(Menu mailbox)" },
        { trigger: ".modal button:contains(Add account for sync)" },
        { trigger: ".modal .o_data_row button[name=action_sync_now]", run: "click" },
        {
            content: "the run's form shows it finished",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Done)",
        },
        { trigger: ".o_field_widget[name=local_created]:contains(1)" },
    ],
});
