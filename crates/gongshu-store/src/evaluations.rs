//! 评估与终止: tables of the evaluations workflow.
