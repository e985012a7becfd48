//! Use cases of the joint reviews (联合审核): data demand, market entry.
