//! gongshu-app (placeholder until its issue lands).
