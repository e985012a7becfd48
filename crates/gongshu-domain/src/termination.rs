//! 评估与终止: domain rules (filled by the evaluations workflow).
