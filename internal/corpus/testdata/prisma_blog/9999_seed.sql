INSERT INTO "User" ("email", "name", "updatedAt") VALUES ('alice@prisma.io', 'Alice', '2024-03-02 10:00:00'), ('bob@prisma.io', 'Bob', '2024-03-02 11:00:00');
INSERT INTO "Post" ("title", "content", "published", "authorId", "updatedAt", "slug") VALUES ('Hello D1', 'First post', true, 1, '2024-03-03 08:00:00', 'hello-d1'), ('Draft', NULL, false, 2, '2024-03-04 08:00:00', NULL);
INSERT INTO "Category" ("name") VALUES ('news'), ('howto');
INSERT INTO "_CategoryToPost" ("A", "B") VALUES (1, 1), (2, 1);
INSERT INTO "Profile" ("bio", "userId") VALUES ('Writes about databases', 1);
