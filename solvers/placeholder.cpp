namespace iff::solvers {}
