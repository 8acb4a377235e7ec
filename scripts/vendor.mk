vendor:  ## Fetch pinned front-end assets from the npm registry into static/vendor/
	bash scripts/vendor_static.sh
