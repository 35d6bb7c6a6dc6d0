namespace iff::attention {}
