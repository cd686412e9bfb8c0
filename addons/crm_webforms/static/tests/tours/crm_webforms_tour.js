import { registry } from "@web/core/registry";

// A sales manager defines a form: what it creates, the return URL, two fields (one
// required, one with an override value), saves it, and opens "Show form" to copy the
// HTML for the outside site.
registry.category("web_tour.tours").add("crm_webforms_define_form_tour", {
    url: "/odoo/crm-webforms",
    steps: () => [
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Tour contact form" },
        { trigger: ".o_field_widget[name=target] select", run: 'select "lead"' },
        {
            trigger: ".o_field_widget[name=return_url] input",
            run: "edit https://site.example/thanks",
        },
        { trigger: ".o_field_x2many_list_row_add a", run: "click" },
        { trigger: ".o_data_row .o_field_widget[name=field_id] input", run: "edit Email" },
        { trigger: ".o-autocomplete--dropdown-item a:contains(Email)", run: "click" },
        { trigger: ".o_data_row .o_field_widget[name=required] input", run: "click" },
        { trigger: ".o_field_x2many_list_row_add a", run: "click" },
        {
            trigger: ".o_data_row:eq(1) .o_field_widget[name=field_id] input",
            run: "edit Company Name",
        },
        { trigger: ".o-autocomplete--dropdown-item a:contains(Company Name)", run: "click" },
        {
            trigger: ".o_data_row:eq(1) .o_field_widget[name=override_value] input",
            run: "edit From the tour",
        },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        { trigger: "button[name=action_show_form]", run: "click" },
        {
            content: "the dialog shows the HTML to paste, with a copy button",
            trigger: ".modal .o_field_widget[name=embed_html]:contains(/crm_webforms/)",
        },
        { trigger: ".modal .o_clipboard_button" },
        { trigger: ".modal .o_field_widget[name=embed_html]:contains(email_from)" },
        { trigger: ".modal button.btn-secondary:contains(Close)", run: "click" },
        { trigger: "body:not(:has(.modal))" },
    ],
});
