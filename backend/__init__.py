"""Gongzhi (共治): the event-sourced system of record for community co-governance."""
