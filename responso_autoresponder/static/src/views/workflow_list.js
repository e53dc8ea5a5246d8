/** Workflow list as the seed shows it: "Add a workflow", and a "…" menu (Edit / Delete) on each line. */
import { Component, onWillStart } from "@odoo/owl";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { ListController } from "@web/views/list/list_controller";
import { listView } from "@web/views/list/list_view";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

export class ResponsoWorkflowListController extends ListController {
    static template = "responso_autoresponder.WorkflowListView";
}

registry.category("views").add("responso_workflow_list", {
    ...listView,
    Controller: ResponsoWorkflowListController,
});

export class ResponsoRowMenu extends Component {
    static template = "responso_autoresponder.RowMenu";
    static components = { Dropdown, DropdownItem };
    static props = { ...standardWidgetProps };

    setup() {
        this.action = useService("action");
        this.dialog = useService("dialog");
        // agents read workflows: they get "Edit" (which opens it read-only), not "Delete"
        onWillStart(async () => {
            this.canDelete = await user.checkAccessRight(this.props.record.resModel, "unlink");
        });
    }

    onEdit() {
        const { record } = this.props;
        return this.action.switchView("form", { resId: record.resId, resIds: record.model.root.resIds });
    }

    onDelete() {
        const { record } = this.props;
        this.dialog.add(ConfirmationDialog, {
            title: _t("Delete"),
            body: _t(
                "Delete the workflow “%(name)s”? Its decisions and sent replies stay in the log; its scheduled replies are cancelled.",
                { name: record.data.display_name || record.data.name }
            ),
            confirmLabel: _t("Delete"),
            confirm: () => record.model.root.deleteRecords([record]),
            cancel: () => {},
        });
    }
}

registry.category("view_widgets").add("responso_row_menu", {
    component: ResponsoRowMenu,
    listViewWidth: 40,
});
