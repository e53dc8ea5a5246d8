/** A one2many of workflow lines whose dialog is titled as the seed's link ("Add a condition"), not "Create Conditions". */
import { makeContext } from "@web/core/context";
import { registry } from "@web/core/registry";
import { X2ManyField, x2ManyField } from "@web/views/fields/x2many/x2many_field";

export class ResponsoLinesField extends X2ManyField {
    async onAdd({ context, editable } = {}) {
        if (editable || this.isMany2Many || !this.props.addLabel) {
            return super.onAdd(...arguments);
        }
        return this._openRecord({
            context: makeContext([this.props.context, context]),
            title: this.props.addLabel,
        });
    }

    async openRecord(record) {
        if (this.canOpenRecord) {
            return this._openRecord({
                record,
                context: this.props.context,
                mode: this.props.readonly ? "readonly" : "edit",
                title: this.props.string,
            });
        }
    }
}

registry.category("fields").add("responso_lines", { ...x2ManyField, component: ResponsoLinesField });
