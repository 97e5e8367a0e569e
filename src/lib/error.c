/* placeholder */
typedef int cr_placeholder_error;
