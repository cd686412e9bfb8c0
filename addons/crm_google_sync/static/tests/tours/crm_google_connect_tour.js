import { registry } from "@web/core/registry";

// The owner opens their Google account, presses "Connect to Google", passes Google's
// consent screen (played by the test peer, which answers at once) and is sent back by
// the redirect to the account form, now connected.
registry.category("web_tour.tours").add("crm_google_sync_connect_tour", {
    steps: () => [
        { trigger: ".o_notebook a[name=google]", run: "click" },
        { trigger: "button.o_crm_google_connect", run: "click" },
        {
            content: "back from Google: the account says it is connected",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Connected)",
        },
        { trigger: ".o_form_view .o_notebook .nav-link[name=google]", run: "click" },
        { trigger: ".o_notebook .nav-link.active[name=google]" },
        { trigger: ".o_form_view button.o_crm_google_reconnect" },
        { trigger: ".o_field_widget[name=oauth_connected_at]:not(:empty)" },
    ],
});
