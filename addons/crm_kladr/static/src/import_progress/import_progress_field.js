import { onWillUnmount, useEffect } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import {
    ProgressBarField,
    progressBarField,
} from "@web/views/fields/progress_bar/progress_bar_field";

// The import job writes its progress from the server (the scheduled action); the
// open form follows it without a reload. The job announces each step on the bus;
// while the import is queued or running the form also re-reads the record every few
// seconds, in case the bus is not connected (no websocket behind a proxy, a worker
// restart). Once the import has finished, nothing more is asked of the server.
export const POLL_INTERVAL_MS = 2000;
const ACTIVE_STATES = ["queued", "running"];

export class KladrImportProgressField extends ProgressBarField {
    setup() {
        super.setup();
        this.busService = useService("bus_service");
        this.refreshing = false;
        const onProgress = (payload) => {
            if (payload && payload.id === this.props.record.resId) {
                this.refresh();
            }
        };
        this.busService.subscribe("crm_kladr.import_progress", onProgress);
        if (!this.busService.isActive) {
            this.busService.start();
        }
        onWillUnmount(() =>
            this.busService.unsubscribe("crm_kladr.import_progress", onProgress)
        );
        useEffect(
            (state) => {
                if (!ACTIVE_STATES.includes(state)) {
                    return;
                }
                const timer = setInterval(() => this.refresh(), POLL_INTERVAL_MS);
                return () => clearInterval(timer);
            },
            () => [this.props.record.data.state]
        );
    }

    /** Re-read the record, unless the user is changing it or a read is under way. */
    async refresh() {
        const record = this.props.record;
        if (this.refreshing || !record.resId || record.dirty) {
            return;
        }
        this.refreshing = true;
        try {
            await record.load();
        } finally {
            this.refreshing = false;
        }
    }
}

export const kladrImportProgressField = {
    ...progressBarField,
    component: KladrImportProgressField,
    fieldDependencies: [{ name: "state", type: "selection" }],
};

registry.category("fields").add("kladr_import_progress", kladrImportProgressField);
