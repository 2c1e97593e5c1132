def test_purchase_is_created(api, api_site):
    response = api.post(
        "/api/v2/origins/purchase",
        {
            "site_slug": api_site.slug,
            "data": {"email": "a@b.co", "order_number": "1", "subtotal": 5},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["result"]["origin"]["order_number"] == "1"
