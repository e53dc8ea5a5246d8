from datetime import timedelta

import pytz

from odoo import _, api, models
from odoo.exceptions import UserError


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _responso_is_working_time(self, moment, tz_name):
        """Whether the aware datetime `moment` is working time of this calendar (attendances minus time off,
        public holidays included), seen in `tz_name`: resource.calendar does the work."""
        self.ensure_one()
        intervals = self._work_intervals_batch(
            moment - timedelta(hours=1), moment + timedelta(hours=1), tz=pytz.timezone(tz_name))[False]
        return any(start <= moment < stop for start, stop, _meta in intervals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_responso_workflow(self):
        """A working-hours condition needs its calendar: deleting one that a workflow uses is refused, with the
        workflows named (archive the calendar, or change the conditions first)."""
        conditions = self.env["responso.workflow.condition"].sudo().with_context(active_test=False).search(
            [("calendar_id", "in", self.ids)])
        if conditions:
            names = ", ".join(sorted(set(conditions.workflow_id.mapped("display_name"))))
            raise UserError(_("These working hours are used by the automated workflows %(workflows)s: change "
                              "their working-hours conditions before deleting them, or archive the working hours "
                              "instead.", workflows=names))
