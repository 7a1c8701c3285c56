CREATE TABLE `recipe_tags` (
	`recipe_id` integer NOT NULL,
	`tag` text NOT NULL,
	PRIMARY KEY(`recipe_id`, `tag`),
	FOREIGN KEY (`recipe_id`) REFERENCES `recipes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `recipe_tags_tag_idx` ON `recipe_tags` (`tag`);--> statement-breakpoint
ALTER TABLE `recipes` ADD `source_url` text;
