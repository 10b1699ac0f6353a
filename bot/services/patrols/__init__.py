"""Daily patrols (每日巡查, 零报告) and meetings (会商): records, and the reminders for both."""
