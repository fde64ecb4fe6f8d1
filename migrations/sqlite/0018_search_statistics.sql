-- PostgreSQL only (its planner's histogram of full names); SQLite plans the name search without one.
SELECT 1;
