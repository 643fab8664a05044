"""Douyin Open Platform (抖店开放平台) connection: signed client, order sync, push receiver, reconciliation."""
