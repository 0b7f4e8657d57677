package api

// route binds a method and path pattern to its handler.
type route struct {
	pattern string
	handler handlerFunc
}

// routes is the whole storefront API. Patterns have no trailing slash
// (route trims it from requests); GETs no route matches fall back to the
// pretty-URL pages, and /metrics and /debug/pprof are bound apart.
func (s *Server) routes() []route {
	return []route{
		// Operations
		{"GET /healthz", s.healthz},
		{"GET /readyz", s.readyz},

		// Account: session, login, profile (account.go, captcha.go, locale.go)
		{"GET /csrf_token", s.csrfToken},
		{"POST /users/login", s.login},
		{"POST /users/registration", s.register},
		{"POST /users/logout", s.logout},
		{"GET /current_user", s.currentUser},
		{"GET /users/profile", s.currentUser},
		{"PATCH /users/profile", s.updateProfile},
		{"PUT /users/profile", s.updateProfile},
		{"POST /users/password/change", s.changePassword},
		{"GET /users/pz-captcha", s.captchaPage},
		{"POST /users/pz-captcha", s.solveCaptcha},
		{"POST /users/activate-currency", s.activateCurrency},
		{"POST /i18n/setlang", s.setLanguage},

		// Account mail and privacy (extras.go)
		{"POST /users/password/reset", s.requestPasswordReset},
		{"POST /users/reset/{slug}", s.resetPassword},
		{"POST /users/email-change", s.requestEmailChange},
		{"GET /users/email-set-primary/{token}", s.confirmEmailChange},
		{"GET /users/registration/account-confirm-email/{token}", s.confirmAccount},
		{"PATCH /users/anonymize", s.anonymize},
		{"GET /users/contact-us-subjects", s.contactSubjects},
		{"POST /users/contact-us", s.contactUs},

		// Catalog and content (catalog*.go)
		{"GET /list", s.listProducts},
		{"GET /category/{pk}", s.categoryPage},
		{"GET /special-page/{pk}", s.specialPage},
		{"GET /product/{pk}", s.productPage},
		{"GET /group-product/{pk}", s.productPage},
		{"GET /products/{pk}/category_nodes", s.productCategoryNodes},
		{"GET /product/{pk}/category", s.productCategory},
		{"GET /menus/generate", s.menu},
		{"GET /misc/menus/generate", s.menu},
		{"GET /menus/generate_breadcrumb", s.breadcrumb},
		{"GET /autocomplete", s.autocomplete},
		{"GET /pretty_urls", s.prettyURLs},
		{"GET /misc/pretty-url/{path...}", s.prettyURL},
		// The client asks for "/" as /misc/pretty-url//, which arrives
		// with its slashes trimmed; without this route the mux redirects.
		{"GET /misc/pretty-url", s.prettyURL},
		{"GET /widgets/{slug}", s.widget},
		{"GET /shop-flat-page/{pk}", s.flatPage},
		{"GET /landing-page/{pk}", s.landingPage},
		{"GET /cms/seo", s.seo},
		{"GET /stores", s.retailStores},
		{"GET /retail_store_stock/{product}", s.retailStoreStock},
		{"GET /address/country", s.countries},
		{"GET /address/city", s.cities},
		{"GET /address/township", s.townships},
		{"GET /address/district", s.districts},

		// Basket, offers and loyalty money (basket.go, account_offers.go, loyalty.go)
		{"GET /baskets/basket", s.getBasket},
		{"POST /baskets/basket", s.addToBasket},
		{"PUT /baskets/basket", s.setBasketQuantity},
		{"DELETE /baskets/basket", s.clearBasket},
		{"PATCH /baskets/basket", s.basketVoucher},
		{"GET /account/basket-offers", s.runningOffers},
		{"GET /account/future-basket-offers", s.futureOffers},
		{"GET /account/expired-basket-offers", s.expiredOffers},
		{"GET /account/discount-items", s.usedDiscounts},
		{"GET /account/loyalty-account-balance", s.loyaltyBalance},
		{"GET /account/loyalty", s.loyaltyTransactions},

		// Addresses (address.go)
		{"GET /address/detailed", s.listAddresses},
		{"GET /address", s.listAddresses},
		{"POST /address", s.createAddress},
		{"GET /address/{pk}", s.getAddress},
		{"PATCH /address/{pk}", s.updateAddress},
		{"PUT /address/{pk}", s.updateAddress},
		{"DELETE /address/{pk}", s.deleteAddress},

		// Checkout and payment (checkout.go)
		{"GET /orders/checkout", s.checkoutPage},
		{"POST /orders/checkout", s.checkoutPage},
		{"GET /orders/redirect-three-d", s.redirectThreeD},
		{"GET /orders/checkout-provider-list", s.checkoutProviders},
		{"GET /payment/sandbox/bank/{id}", s.sandboxBank},
		{"POST /payment/sandbox/bank/{id}", s.sandboxBankPost},
		{"GET /payment/sandbox/hosted/{id}", s.sandboxHosted},
		{"POST /payment/sandbox/hosted/{id}", s.sandboxHostedPost},
		{"GET /payments/cards/product/{pk}", s.productInstallments},
		{"POST /payments/stripe/webhook", s.stripeWebhook}, // stripe.go

		// Orders (order.go)
		{"GET /orders/completed/{token}", s.completedOrder},
		{"GET /users/orders", s.listOrders},
		{"GET /users/orders/{id}", s.customerOrder},
		{"POST /orders/{id}/cancel", s.cancelOrder},
		{"POST /users/orders/bulk_cancellation_requests", s.bulkCancel},
		{"GET /users/orders/cancellation_reasons", s.cancellationReasons},
		{"POST /users/orders/anonymous", s.anonymousOrder},
		{"GET /orders/contract", s.contract},

		// Wishlist, stock alerts, newsletter (extras.go)
		{"GET /wishlists/favourite-products", s.favourites},
		{"POST /wishlists/favourite-products", s.addFavourite},
		{"DELETE /wishlists/favourite-products/{pk}", s.removeFavourite},
		{"GET /wishlists/product-alerts", s.alerts},
		{"POST /wishlists/product-alerts", s.addAlert},
		{"DELETE /wishlists/product-alerts/{pk}", s.removeAlert},
		{"POST /email-subscription", s.subscribe},
		{"GET /email-subscription/confirm/{token}", s.confirmSubscription},
		{"GET /email-subscription/unsubscribe/{id}/{signature}", s.unsubscribe},
		// RFC 8058 one-click unsubscribe: the mailbox provider posts to the link.
		{"POST /email-subscription/unsubscribe/{id}/{signature}", s.unsubscribe},
	}
}
