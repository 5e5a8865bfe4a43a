-- The control-group number of every customer of {{ customers }}: the first $hash_digits hexadecimal
-- digits of md5(control_salt || customer_id) as a number; the customer is in the control group when
-- it is below control_share × 16^hash_digits ($control_threshold). logic.control_bucket computes the
-- same number in Python.
SELECT customer_id, control_number, control_number < CAST($control_threshold AS BIGINT) AS is_control
FROM (
    SELECT customer_id, CAST('0x' || substr(md5($control_salt || customer_id), 1, $hash_digits) AS BIGINT)
           AS control_number
    FROM {{ customers }}
)
