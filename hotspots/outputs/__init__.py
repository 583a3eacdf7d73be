"""What analysts hand out: tasking sheets, the batch export pack, the panel deck."""
