import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

const JOB_NAME = "Live progress import";

/** Write the job from another request, as the scheduled action's short transactions
 * do while the form stays open. */
function writeJob(values) {
    return async () => {
        const model = "crm.kladr.import";
        const ids = await rpc(`/web/dataset/call_kw/${model}/search`, {
            model,
            method: "search",
            args: [[["name", "=", JOB_NAME]]],
            kwargs: {},
        });
        await rpc(`/web/dataset/call_kw/${model}/write`, {
            model,
            method: "write",
            args: [ids, values],
            kwargs: {},
        });
    };
}

// The import form follows the job's progress without being reloaded.
registry.category("web_tour.tours").add("crm_kladr_import_progress_tour", {
    steps: () => [
        {
            trigger: ".o_field_widget[name=progress_message]:contains(Unpacking the archive)",
            run() {
                // gone if the page were reloaded
                window.crmKladrSamePage = true;
            },
        },
        {
            trigger: ".o_field_widget[name=progress] .o_progressbar_value:contains(10)",
            run: writeJob({ progress: 55, progress_message: "Loading streets" }),
        },
        { trigger: ".o_field_widget[name=progress_message]:contains(Loading streets)" },
        {
            content: "the bar moved by itself",
            trigger: ".o_field_widget[name=progress] .o_progressbar_value:contains(55)",
            run: writeJob({
                state: "done",
                progress: 100,
                progress_message: "Done",
                places: 2,
                streets: 1,
            }),
        },
        {
            content: "the job reached done: the counts replace the bar",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains(Done)",
        },
        { trigger: ".o_field_widget[name=places]:contains(2)" },
        { trigger: ".o_form_view:not(:has(.o_field_widget[name=progress]))" },
        {
            trigger: ".o_form_view",
            run() {
                if (!window.crmKladrSamePage) {
                    throw new Error("the form was reloaded: the progress did not move by itself");
                }
            },
        },
    ],
});
