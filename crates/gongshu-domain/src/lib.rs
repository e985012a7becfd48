//! gongshu-domain (placeholder until its issue lands).
