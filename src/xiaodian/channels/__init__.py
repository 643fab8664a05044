"""The outside world: export files, the Douyin Open Platform, carriers."""
