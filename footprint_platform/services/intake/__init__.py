"""Intake: what suppliers submit for their own node, by form, workbook or API: one validation of
activity rows, drafts and immutable versions, evidence, electricity instruments, completeness and
loop checks. The data requests that ask for a submission are in `exchange`."""
