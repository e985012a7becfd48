//! The inbox (待办): open obligations with working-day deadlines.
