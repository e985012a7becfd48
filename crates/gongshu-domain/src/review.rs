//! Joint review (联合审核): data demand and secondary-market entry.
