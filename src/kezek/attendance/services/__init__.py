"""Attendance services: sessions and marks, parent check-ins, monthly sheets and contested days."""
