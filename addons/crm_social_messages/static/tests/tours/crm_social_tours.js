import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_social_send_tour", {
    steps: () => [
        { trigger: ".o_form_view button.o_crm_social_send", run: "click" },
        { trigger: ".modal .o_crm_social_body textarea", run: "edit Hello from the tour" },
        { trigger: ".modal button.o_crm_social_do_send", run: "click" },
        { trigger: ".o_notification:contains(Message sent)" },
    ],
});

registry.category("web_tour.tours").add("crm_social_import_tour", {
    steps: () => [
        { trigger: ".o_form_view button.o_crm_social_import", run: "click" },
        { trigger: ".modal .o_crm_social_import_url input", run: "edit https://vk.com/id7" },
        { trigger: ".modal button.o_crm_social_do_import", run: "click" },
        { trigger: ".o_notification:contains(Filled from the profile)" },
    ],
});

registry.category("web_tour.tours").add("crm_social_x_connect_tour", {
    steps: () => [
        { trigger: "button.o_crm_social_x_connect", run: "click" },
        // X's consent screen (played by the peer) sends the browser back to Odoo's
        // callback, which stores the tokens and returns to Settings.
        { trigger: ".o_crm_social_x_account:contains(acme_sales)" },
    ],
});
