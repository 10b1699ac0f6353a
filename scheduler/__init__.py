"""APScheduler set-up and the jobs it wakes. The database holds the schedule itself."""
