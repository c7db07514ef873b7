"""People who use Shouhu, whatever their role."""
