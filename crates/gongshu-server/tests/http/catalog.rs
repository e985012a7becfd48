//! HTTP tests of the resource catalog and registration (filled by the catalog workflow).
