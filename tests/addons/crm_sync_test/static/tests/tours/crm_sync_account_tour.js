import { registry } from "@web/core/registry";

// A user adds a sync account from the UI, presses "Sync now", and finds the run in
// the account's journal. The endpoint of the test provider is set as a default by the
// Python test (it points at a local peer on a random port).
registry.category("web_tour.tours").add("crm_sync_base_account_tour", {
    url: "/odoo/crm-sync-accounts",
    steps: () => [
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Tour mailbox" },
        { trigger: ".o_field_widget[name=provider] select", run: 'select "test"' },
        { trigger: ".o_field_widget[name=password] input", run: "edit at-1" },
        { trigger: ".o_field_widget[name=test_category_id] input", run: "edit Tour synced" },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour synced)",
            run: "click",
        },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        { trigger: "button[name=action_sync_now]", run: "click" },
        {
            content: "the run's form shows it finished and imported the two contacts",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Done)",
        },
        { trigger: ".o_field_widget[name=local_created]:contains(2)" },
        { trigger: ".o_back_button", run: "click" },
        { trigger: "button[name=action_view_runs]", run: "click" },
        {
            content: "the journal lists the run",
            trigger: ".o_list_view .o_data_row:contains(Tour mailbox):contains(Done)",
        },
    ],
});
