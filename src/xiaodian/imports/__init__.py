"""Import jobs: a large order export file checked and imported by a worker, the page following its progress."""
