CREATE TABLE `recipes` (
	`id` integer PRIMARY KEY NOT NULL,
	`title` text(256) NOT NULL,
	`servings` integer DEFAULT 2 NOT NULL,
	`vegetarian` integer DEFAULT false NOT NULL,
	`rating` real,
	`ingredients` text NOT NULL,
	`photo` blob,
	`created_at` integer DEFAULT (cast((julianday('now') - 2440587.5)*86400000 as integer)) NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE INDEX `recipes_title_idx` ON `recipes` (`title`);--> statement-breakpoint
CREATE INDEX `recipes_veg_rating_idx` ON `recipes` (`vegetarian`,`rating`);--> statement-breakpoint
CREATE TABLE `steps` (
	`recipe_id` integer NOT NULL,
	`position` integer NOT NULL,
	`instruction` text NOT NULL,
	`minutes` integer,
	PRIMARY KEY(`recipe_id`, `position`),
	FOREIGN KEY (`recipe_id`) REFERENCES `recipes`(`id`) ON UPDATE no action ON DELETE cascade
);
