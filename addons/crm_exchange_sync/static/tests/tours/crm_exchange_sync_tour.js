import { registry } from "@web/core/registry";

// Seed 000: Contacts → Synchronize → Add account for sync → MS Exchange → Authorize →
// "add the address to my contact?" Yes → the success message links to the account →
// Sync now. The Python test points the wizard's EWS URL at a local EwsPeer.
registry.category("web_tour.tours").add("crm_exchange_sync_tour", {
    url: "/odoo/contacts?view_type=list",
    steps: () => [
        { trigger: ".o_control_panel .o_cp_action_menus button", run: "click" },
        { trigger: ".o-dropdown-item.o_crm_sync_menu", run: "click" },
        { trigger: ".modal button[name=action_add_account]", run: "click" },
        { trigger: ".modal .o_field_widget[name=mail_provider] input[data-value=exchange_server]" },
        { trigger: ".modal .o_field_widget[name=login] input", run: "edit user@example.com" },
        { trigger: ".modal .o_field_widget[name=password] input", run: "edit secret" },
        { trigger: ".modal .o_field_widget[name=auth_type] select", run: 'select "\\"basic\\""' },
        { trigger: ".modal button.o_crm_exchange_authorize", run: "click" },
        { trigger: ".modal .o_crm_exchange_authorized:contains(user@example.com)" },
        { trigger: ".modal button.o_crm_exchange_add_email", run: "click" },
        {
            content: "the message links to the account (a new tab): follow it here",
            trigger: '.o_notification a[href*="/odoo/crm-sync-accounts/"]:contains(settings)',
            run() {
                window.location.href = this.anchor.getAttribute("href");
            },
        },
        { trigger: ".o_breadcrumb:contains(user@example.com)" },
        { trigger: ".o_notebook_headers a:contains(Contacts)", run: "click" },
        { trigger: ".o_field_widget[name=exchange_import] input:checked" },
        { trigger: "button[name=action_sync_now]", run: "click" },
        {
            content: "the run finished",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Done)",
        },
    ],
});
