"""Kezek: fair, verifiable access to state-funded kindergarten places and club vouchers."""
