/** Workflow form: "Test" and "Replay" run the workflow as the form shows it, unsaved changes included, without
 * saving it (object buttons would save first). The form's changes travel to the wizard as `write` values. */
import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

export class ResponsoWorkflowTry extends Component {
    static template = "responso_autoresponder.WorkflowTry";
    static props = { ...standardWidgetProps };

    setup() {
        this.action = useService("action");
    }

    async open(xmlid) {
        const record = this.props.record;
        await this.action.doAction(xmlid, {
            additionalContext: {
                default_workflow_id: record.resId || false,
                default_workflow_values: record._getChanges(),
            },
        });
    }
}

registry.category("view_widgets").add("responso_workflow_try", {
    component: ResponsoWorkflowTry,
});
