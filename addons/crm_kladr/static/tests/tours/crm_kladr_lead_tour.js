import { registry } from "@web/core/registry";

// Seed 004: on a lead's address block, type the city, pick it, then the street.
registry.category("web_tour.tours").add("crm_kladr_lead_address_tour", {
    steps: () => [
        { trigger: ".o_form_view .o_field_widget[name=name] textarea", run: "edit Kladr lead" },
        {
            content: "the address block is on the Extra Information tab",
            trigger: ".o_notebook a:contains(Extra Information)",
            run: "click",
        },
        {
            content: "without a country (or another one) the city is a plain field",
            trigger: ".o_field_widget[name=city]:not(:has(.o_kladr_address)) input",
        },
        {
            trigger: ".o_field_widget[name=country_id] input",
            run: "edit Russia",
        },
        { trigger: ".o-autocomplete--dropdown-item a:contains(Russian Federation)", run: "click" },
        {
            trigger: ".o_field_widget[name=city] .o_kladr_address input",
            run: "edit твер",
        },
        {
            content: "the city suggestion shows type and region",
            trigger: ".o-autocomplete--dropdown-item:contains(г. Тверь):contains(Тверская обл.) a",
            run: "click",
        },
        { trigger: ".o_field_widget[name=zip] input:value(170000)" },
        {
            trigger: ".o_field_widget[name=street] .o_kladr_address input",
            run: "edit сов",
        },
        { trigger: ".o-autocomplete--dropdown-item a:contains(ул. Советская)", run: "click" },
        { trigger: ".o_field_widget[name=zip] input:value(170100)" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
    ],
});
