from datetime import timedelta

import pytz

from odoo import models


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _responso_is_working_time(self, moment, tz_name):
        """Whether the aware datetime `moment` is working time of this calendar (attendances minus time off,
        public holidays included), seen in `tz_name`: resource.calendar does the work."""
        self.ensure_one()
        intervals = self._work_intervals_batch(
            moment - timedelta(hours=1), moment + timedelta(hours=1), tz=pytz.timezone(tz_name))[False]
        return any(start <= moment < stop for start, stop, _meta in intervals)
