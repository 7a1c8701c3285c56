INSERT INTO users (id, email, name, email_verified) VALUES ('u_1', 'grace@example.com', 'Grace', 1), ('u_2', 'alan@example.com', NULL, 0);
INSERT INTO organizations (id, name, slug, plan) VALUES ('o_1', 'Hopper Labs', 'hopper', 'pro');
INSERT INTO members (organization_id, user_id, role) VALUES ('o_1', 'u_1', 'owner'), ('o_1', 'u_2', 'member');
INSERT INTO projects (organization_id, name, settings) VALUES ('o_1', 'Compiler', '{"lang":"cobol"}'), ('o_1', 'Website', '{}');
