/** Workflow form: its create button says the seed's "Add a workflow", as the list's does. */
import { registry } from "@web/core/registry";
import { FormController } from "@web/views/form/form_controller";
import { formView } from "@web/views/form/form_view";

export class ResponsoWorkflowFormController extends FormController {
    static template = "responso_autoresponder.WorkflowFormView";
}

registry.category("views").add("responso_workflow_form", {
    ...formView,
    Controller: ResponsoWorkflowFormController,
});
