//! HTTP tests of 评估与终止 (filled by the evaluations workflow).
