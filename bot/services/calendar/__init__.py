"""Working time on China's calendar: office hours, holidays and 调休, quiet hours."""
