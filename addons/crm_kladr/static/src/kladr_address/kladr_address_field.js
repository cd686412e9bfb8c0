/** @odoo-module **/

import { AutoComplete } from "@web/core/autocomplete/autocomplete";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useChildRef, useService } from "@web/core/utils/hooks";
import { CharField, charField } from "@web/views/fields/char/char_field";
import { useInputField } from "@web/views/fields/input_field_hook";

/**
 * City and street fields of Russian addresses: suggestions from the address
 * classifier (or DaData, chosen on the server) while the user types. The city comes
 * first; its choice fills city, state and zip and keeps the place's code, to which
 * the street suggestions are then limited. After a street is chosen, typing ", "
 * and a number suggests the houses (when DOMA is loaded). Other countries keep the
 * plain field.
 */
export class KladrAddressField extends CharField {
    static template = "crm_kladr.KladrAddressField";
    static components = { ...CharField.components, AutoComplete };
    static props = {
        ...CharField.props,
        kladrRole: { type: String, optional: true },
        kladrCountryId: { type: Number, optional: true },
    };

    setup() {
        super.setup();
        this.notification = useService("notification");
        this.inputRef = useChildRef();
        useInputField({
            getValue: () => this.props.record.data[this.props.name] || "",
            parse: (value) => this.parse(value),
            ref: this.inputRef,
        });
        this.failureShown = false;
    }

    get kladrActive() {
        const country = this.props.record.data.country_id;
        return Boolean(country && country[0] === this.props.kladrCountryId);
    }

    get isStreet() {
        return this.props.kladrRole === "street";
    }

    /** The house number typed after the chosen street ("ул. Тверская, 1"), or null. */
    houseQuery(request) {
        const data = this.props.record.data;
        const street = data[this.props.name] || "";
        if (!this.isStreet || !data.kladr_street_code || !street) {
            return null;
        }
        const base = street.split(",")[0];
        if (request.startsWith(base + ",")) {
            return request.slice(base.length + 1).trim();
        }
        return null;
    }

    async fetch(params) {
        try {
            return await rpc("/crm_kladr/suggest", { limit: 10, ...params });
        } catch (error) {
            // One message, not one per key stroke; the field stays usable by hand.
            if (!this.failureShown) {
                this.failureShown = true;
                const message = error?.data?.message || error?.message || String(error);
                this.notification.add(message, {
                    title: _t("Address suggestions are not available"),
                    type: "warning",
                });
            }
            return [];
        }
    }

    get sources() {
        return [
            {
                placeholder: _t("Searching the address classifier..."),
                optionTemplate: "crm_kladr.KladrAddressOption",
                options: async (request) => {
                    const query = (request || "").trim();
                    const data = this.props.record.data;
                    if (!this.isStreet) {
                        if (query.length < 1) {
                            return [];
                        }
                        const cities = await this.fetch({ kind: "city", query });
                        return cities.map((city) => ({
                            label: city.label,
                            description: city.old_name
                                ? [_t("formerly %s", city.old_name), city.description]
                                      .filter(Boolean)
                                      .join(", ")
                                : city.description,
                            kladr: city,
                        }));
                    }
                    if (!data.kladr_code) {
                        return [];
                    }
                    const house = this.houseQuery(request || "");
                    if (house !== null) {
                        const houses = await this.fetch({
                            kind: "house",
                            query: house,
                            street_code: data.kladr_street_code,
                        });
                        const base = (data[this.props.name] || "").split(",")[0];
                        return houses.map((h) => ({
                            label: `${base}, ${h.number}`,
                            description: h.zip,
                            kladrHouse: { ...h, street: base },
                        }));
                    }
                    const streets = await this.fetch({
                        kind: "street",
                        query,
                        place_code: data.kladr_code,
                    });
                    return streets.map((street) => ({
                        label: street.label,
                        description: street.zip,
                        kladrStreet: street,
                    }));
                },
            },
        ];
    }

    async onSelect(option) {
        const changes = {};
        if (option.kladr) {
            const city = option.kladr;
            Object.assign(changes, {
                [this.props.name]: city.name,
                kladr_code: city.code,
                kladr_street_code: false,
            });
            if (city.state_id) {
                changes.state_id = city.state_id;
            }
            if (city.zip) {
                changes.zip = city.zip;
            }
        } else if (option.kladrStreet) {
            const street = option.kladrStreet;
            Object.assign(changes, {
                [this.props.name]: street.street,
                kladr_street_code: street.code,
            });
            if (street.zip) {
                changes.zip = street.zip;
            }
        } else if (option.kladrHouse) {
            const house = option.kladrHouse;
            changes[this.props.name] = `${house.street}, ${house.number}`;
            if (house.zip) {
                changes.zip = house.zip;
            }
        }
        const fields = this.props.record.fields;
        for (const name of Object.keys(changes)) {
            if (!(name in fields)) {
                delete changes[name];
            }
        }
        await this.props.record.update(changes);
    }
}

export const kladrAddressField = {
    ...charField,
    component: KladrAddressField,
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...charField.extractProps(fieldInfo, dynamicInfo),
        kladrRole: fieldInfo.options.kladr_role || "city",
        kladrCountryId: fieldInfo.options.kladr_country_id,
    }),
};

registry.category("fields").add("kladr_address", kladrAddressField);
