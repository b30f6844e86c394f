-- Money rule: no receivable invoice is overpaid by more than a cent as of the run date.
-- An overpaid invoice means a payment booked to the wrong invoice: chasing on such data is unsafe.
select invoice_id, invoice_amount, settled_amount, outstanding_amount
from {{ ref('fct_invoices') }}
where is_receivable and outstanding_amount < -0.01
