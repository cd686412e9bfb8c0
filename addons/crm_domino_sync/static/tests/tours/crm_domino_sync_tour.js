import { registry } from "@web/core/registry";

// A user connects a Domino account, checks the connection, syncs, reads the dashboard
// and schedules a meeting. The Python test points new accounts at a local DominoPeer.
registry.category("web_tour.tours").add("crm_domino_sync_tour", {
    url: "/odoo/crm-sync-accounts",
    steps: () => [
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Tour Notes" },
        { trigger: ".o_field_widget[name=provider] select", run: 'select "domino"' },
        { trigger: ".o_field_widget[name=login] input", run: "edit Ann Admin/Acme" },
        { trigger: ".o_field_widget[name=password] input", run: "edit secret" },
        { trigger: ".o_notebook_headers a:contains(Databases and views)", run: "click" },
        { trigger: ".o_field_widget[name=domino_mail_db] input", run: "edit mail/aadmin.nsf" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        { trigger: "button[name=action_test_connection]", run: "click" },
        { trigger: ".o_notification:contains(works)" },
        { trigger: "button[name=action_sync_now]", run: "click" },
        {
            content: "the run finished",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Done)",
        },
        { trigger: ".o_back_button", run: "click" },
        { trigger: ".o_notebook_headers a:contains(Dashboard)", run: "click" },
        { trigger: ".o_crm_domino_dashboard td:contains(Contacts)" },
        { trigger: "button[name=action_domino_schedule_meeting]", run: "click" },
        { trigger: ".modal .o_field_widget[name=name] input", run: "edit Tour meeting" },
        { trigger: ".modal .o_field_widget[name=extra_emails] input", run: "edit bob@y.test" },
        { trigger: ".modal button[name=action_schedule]", run: "click" },
        { content: "the new event opens", trigger: ".o_breadcrumb:contains(Tour meeting)" },
    ],
});
