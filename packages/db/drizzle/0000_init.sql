CREATE TABLE "branches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"city" text NOT NULL,
	"address" text DEFAULT '' NOT NULL,
	"phone" text DEFAULT '' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "branches_branch_id_is_id" CHECK ("branches"."branch_id" = "branches"."id")
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid NOT NULL,
	"full_name" text NOT NULL,
	"email" text,
	"phone" text,
	"address" text DEFAULT '' NOT NULL,
	"notes" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "employees" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid NOT NULL,
	"full_name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text DEFAULT '' NOT NULL,
	"position" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "employees_position_known" CHECK (position IN ('pharmacist', 'cashier', 'storekeeper', 'driver', 'manager'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"response" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("principal","key")
);
--> statement-breakpoint
CREATE TABLE "order_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_cents" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_items_order_product_key" UNIQUE("order_id","product_id"),
	CONSTRAINT "order_items_quantity_positive" CHECK ("order_items"."quantity" > 0),
	CONSTRAINT "order_items_unit_price_cents_non_negative" CHECK ("order_items"."unit_price_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid NOT NULL,
	"client_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"total_cents" bigint NOT NULL,
	"notes" text DEFAULT '' NOT NULL,
	CONSTRAINT "orders_status_known" CHECK (status IN ('pending', 'confirmed', 'fulfilled', 'cancelled')),
	CONSTRAINT "orders_total_cents_non_negative" CHECK ("orders"."total_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text NOT NULL,
	"unit_price_cents" bigint NOT NULL,
	"requires_prescription" boolean DEFAULT false NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "products_branch_id_null" CHECK ("products"."branch_id" IS NULL),
	CONSTRAINT "products_unit_price_cents_non_negative" CHECK ("products"."unit_price_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid NOT NULL,
	"report_date" date NOT NULL,
	"orders_count" integer DEFAULT 0 NOT NULL,
	"total_sales_cents" bigint DEFAULT 0 NOT NULL,
	"cash_cents" bigint DEFAULT 0 NOT NULL,
	"notes" text DEFAULT '' NOT NULL,
	CONSTRAINT "reports_branch_date_key" UNIQUE("branch_id","report_date"),
	CONSTRAINT "reports_amounts_non_negative" CHECK ("reports"."orders_count" >= 0 AND "reports"."total_sales_cents" >= 0 AND "reports"."cash_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "stock" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"branch_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"reorder_level" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stock_branch_product_key" UNIQUE("branch_id","product_id"),
	CONSTRAINT "stock_quantity_non_negative" CHECK ("stock"."quantity" >= 0),
	CONSTRAINT "stock_reserved_non_negative" CHECK ("stock"."reserved" >= 0),
	CONSTRAINT "stock_reserved_within_quantity" CHECK ("stock"."reserved" <= "stock"."quantity"),
	CONSTRAINT "stock_reorder_level_non_negative" CHECK ("stock"."reorder_level" >= 0)
);
--> statement-breakpoint
CREATE TABLE "relay_state" (
	"name" text PRIMARY KEY NOT NULL,
	"last_offset" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"resource" text NOT NULL,
	"action" text NOT NULL,
	"record_id" uuid NOT NULL,
	"branch_id" uuid,
	"version" integer NOT NULL,
	"data" jsonb NOT NULL,
	"actor" text,
	"origin" text,
	"changed_at" timestamp (3) with time zone DEFAULT clock_timestamp() NOT NULL,
	"offset" bigint,
	"published_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"branches" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_key" UNIQUE("email"),
	CONSTRAINT "users_role_known" CHECK (role IN ('admin', 'manager', 'staff'))
);
--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock" ADD CONSTRAINT "stock_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock" ADD CONSTRAINT "stock_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "branches_code_live_key" ON "branches" USING btree ("code") WHERE "branches"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "branches_updated_at_id_idx" ON "branches" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "clients_branch_id_idx" ON "clients" USING btree ("branch_id");--> statement-breakpoint
CREATE INDEX "clients_updated_at_id_idx" ON "clients" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "employees_branch_id_idx" ON "employees" USING btree ("branch_id");--> statement-breakpoint
CREATE INDEX "employees_updated_at_id_idx" ON "employees" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "order_items_product_id_idx" ON "order_items" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "orders_branch_id_status_idx" ON "orders" USING btree ("branch_id","status");--> statement-breakpoint
CREATE INDEX "orders_client_id_idx" ON "orders" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "orders_updated_at_id_idx" ON "orders" USING btree ("updated_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "products_sku_live_key" ON "products" USING btree ("sku") WHERE "products"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "products_updated_at_id_idx" ON "products" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "reports_report_date_branch_id_idx" ON "reports" USING btree ("report_date","branch_id");--> statement-breakpoint
CREATE INDEX "reports_updated_at_id_idx" ON "reports" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "stock_product_id_idx" ON "stock" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "stock_updated_at_id_idx" ON "stock" USING btree ("updated_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_log_offset_key" ON "sync_log" USING btree ("offset");--> statement-breakpoint
CREATE INDEX "sync_log_unpublished_idx" ON "sync_log" USING btree ("id") WHERE "sync_log"."offset" IS NULL;--> statement-breakpoint
CREATE INDEX "sync_log_record_id_idx" ON "sync_log" USING btree ("record_id");