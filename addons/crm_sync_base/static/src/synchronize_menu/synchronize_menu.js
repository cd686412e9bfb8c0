import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { STATIC_ACTIONS_GROUP_NUMBER } from "@web/search/action_menus/action_menus";

// Models whose views offer "Synchronize" in the gear menu (seed 000: Contacts →
// Actions → Synchronize contacts), with nothing to select first.
const SYNCED_MODELS = ["res.partner", "calendar.event"];

export class SynchronizeMenu extends Component {
    static template = "crm_sync_base.SynchronizeMenu";
    static components = { DropdownItem };
    static props = {};

    setup() {
        this.action = useService("action");
    }

    openSynchronize() {
        this.action.doAction("crm_sync_base.action_crm_sync_menu");
    }
}

registry.category("cogMenu").add(
    "crm-sync-synchronize",
    {
        Component: SynchronizeMenu,
        groupNumber: STATIC_ACTIONS_GROUP_NUMBER,
        isDisplayed: (env) =>
            env.config.actionType === "ir.actions.act_window" &&
            ["list", "kanban", "calendar"].includes(env.config.viewType) &&
            SYNCED_MODELS.includes(env.searchModel?.resModel),
    },
    { sequence: 50 }
);
