import { registry } from "@web/core/registry";

// An administrator connects a web shop, presses "Pull orders now", and finds the
// shop's order and the exchange in the journal. The shop (a local peer on a random
// port) is the default exchange URL of new connections, set by the Python test.
registry.category("web_tour.tours").add("crm_commerceml_shop_tour", {
    url: "/odoo/cml-web-shops",
    steps: () => [
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Tour shop" },
        { trigger: ".o_field_widget[name=login] input", run: "edit admin" },
        { trigger: ".o_field_widget[name=password] input", run: "edit shop-secret" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        {
            content: "the password is stored and not shown again",
            trigger: ".o_field_widget[name=password_set] input:checked",
        },
        { trigger: "button[name=action_pull_orders]", run: "click" },
        {
            content: "the exchange worked",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Working)",
        },
        { trigger: "button[name=action_open_orders]", run: "click" },
        {
            content: "the shop's order is in Odoo",
            trigger: ".o_list_view .o_data_row:contains(ООО Тур)",
        },
        { trigger: ".o_back_button", run: "click" },
        { trigger: "button[name=action_open_exchanges]", run: "click" },
        {
            content: "the journal lists the exchange with the shop",
            trigger: ".o_list_view .o_data_row:contains(From shop):contains(Success)",
        },
    ],
});
