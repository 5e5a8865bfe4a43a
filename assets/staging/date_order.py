"""Day-first or month-first: how a file writes dates such as 12/1/2010.

Exports from Excel or an English-language shop system write dates by their locale: ``12/1/2010
8:26`` is 1 December in the US and 12 January in Britain. One value alone often cannot tell; the
file can. Each version of each file is decided by its own dates, every date column of the kind
together: a day above 12 in the first place (``25/12/2024``) means day-first, in the second place
(``12/25/2024``) month-first. Only when the file shows neither does the setting
``[staging] date_order`` decide ("dmy" or "mdy"; "auto": nobody guesses). A file showing both, or
neither with the setting "auto", has its day/month dates quarantined with the reason and the
setting to use; ISO (2024-12-25), Chinese (2024年12月25日), compact (20241225) and Excel serial dates
are not affected.

The staging query (sql/typed.sql) reads the decision as the helper column ``_date_order`` ('dmy',
'mdy' or NULL, the setting bound as ``$date_order``), and every timestamp of a spec is read as
``crm_timestamp_in(_date_order, x)``.
"""

from __future__ import annotations

UNDECIDED_RULE = ('day/month order unknown (its file shows no day above 12, or both orders): '
                  'set [staging] date_order = "dmy" or "mdy", or re-export dates as YYYY-MM-DD')
