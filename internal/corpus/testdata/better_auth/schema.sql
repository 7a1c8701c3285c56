-- better-auth's generated schema for SQLite (camelCase, dates as dates).
create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null);
create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date, "updatedAt" date);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");
insert into "user" values ('u1', 'Barbara', 'barbara@example.com', 1, null, '2024-07-01T10:00:00.000Z', '2024-07-01T10:00:00.000Z');
insert into "session" values ('s1', '2030-01-01T00:00:00.000Z', 'tok_abc', '2024-07-01T10:00:00.000Z', '2024-07-01T10:00:00.000Z', '203.0.113.7', 'curl/8', 'u1');
insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") values ('a1', 'u1', 'credential', 'u1', 'scrypt:xyz', '2024-07-01T10:00:00.000Z', '2024-07-01T10:00:00.000Z');
